@needs_rep
Feature: Pre-chat shown for every session (417) after a session end
  With pre-chat per session, a message sent after a session ended is refused with 417 until the pre-chat form is
  submitted again; the client resends it with isNewMessagingSession.

  Scenario: The user writes again after the rep ended the session
    Given Session-Based Chat is turned off for the channel
    And the channel shows pre-chat for every session
    And the user is chatting with a rep
    When the rep ends the session
    Then the user's next message starts a new session in the same conversation
    And no message was lost
