@closing @needs_rep
Feature: Faults while the conversation closes
  Networks fail and tokens expire exactly when it hurts. The app must still get the user to a rep.

  Background:
    Given Session-Based Chat is turned on and published for the channel
    And the user is chatting with a rep

  Scenario: The runtime answers 503 to the first send after the close
    When the rep ends the session
    And the runtime fails the next 1 "send_message" request with 503
    Then the user can start a new conversation and reach a rep
    And no message was lost

  Scenario: The runtime rate-limits the app with 429
    When the rep ends the session
    And the runtime fails the next 1 "create_conversation" request with 429
    Then the user can start a new conversation and reach a rep

  Scenario: The event stream drops as the session ends
    When the event stream drops
    And the rep ends the session
    Then the chat window shows the truth
    And the user can start a new conversation and reach a rep

  Scenario: The access token expires while the conversation is closed
    When the rep ends the session
    And the app's access token expires
    Then the user can start a new conversation and reach a rep
