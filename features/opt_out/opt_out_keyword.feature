Feature: An opt-out keyword ends only the session, even with Session-Based Chat
  Background:
    Given Session-Based Chat is turned on and published for the channel
    And the channel has the opt-out keyword "STOP"
    And the user is chatting with a rep

  @needs_rep
  Scenario: The user sends the opt-out keyword
    Article: Even with Session-Based Chat enabled, if an opt-out keyword is configured on that channel, sending the keyword only ends the active messaging session, but the conversation remains open.
    Article: The user stops receiving messages in that session, but the conversation record is retained.
    When the user sends "STOP"
    Then the messaging session has ended
    And the conversation is still open on the runtime
    And the rep can no longer message the user in that session
    And the conversation history is still there
    And the user's next message starts a new session in the same conversation
