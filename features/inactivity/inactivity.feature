@needs_rep
Feature: Customer inactivity and the automatic end of inactive sessions
  An inactive session is not an ended one: the conversation stays open. Inactive sessions end automatically after
  about 24 hours; whether that auto-end closes the conversation under Session-Based Chat is not documented, so the
  scenario runs under both runtime variants. Tokens are made to outlive the wait so that an expired token (a
  scenario of its own under faults/) does not mask what the auto-end does.

  Background:
    Given Session-Based Chat is turned on and published for the channel
    And the channel's customer inactivity timeout is 10 minutes
    And the channel's access tokens last 48 hours
    And the user is chatting with a rep

  Scenario: The customer goes quiet and the session turns inactive
    When 11 minutes pass without a message from the user
    Then the messaging session is inactive
    And the conversation is still open on the runtime
    And the chat window is not read-only
    And the user's next message reaches a rep in the same conversation

  @auto_end
  Scenario: An inactive session ends automatically after about a day
    When 11 minutes pass without a message from the user
    And 24 hours pass
    Then the messaging session has ended
    And the chat window shows the truth
    And the user can start a new conversation and reach a rep
