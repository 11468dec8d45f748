Feature: Without Session-Based Chat, a session end keeps the conversation open
  Ending a messaging session does not end the conversation: the next message starts a new session in the same
  conversation. An app must not lock the user out, nor throw the conversation away.

  Background:
    Given Session-Based Chat is turned off for the channel
    And the user is chatting with a rep

  @needs_rep
  Scenario: A rep ends the session and the user writes again
    When the rep ends the session
    Then the conversation is still open on the runtime
    And the chat window is not read-only
    And the user's next message starts a new session in the same conversation
    And no message was lost

  Scenario: The end user taps End Chat and writes again
    When the user ends the chat
    Then the conversation is still open on the runtime
    And the user's next message starts a new session in the same conversation
