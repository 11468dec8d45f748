@closing @needs_rep
Feature: The end arrives while the app is offline or in the background
  The app must discover that the conversation closed when it comes back, from the replayed events or the
  conversation list.

  Background:
    Given Session-Based Chat is turned on and published for the channel
    And the user is chatting with a rep

  Scenario: Offline when the rep ends the session
    When the device goes offline
    And the rep ends the session
    And the device comes back online
    Then the chat window shows the truth
    And the user can start a new conversation and reach a rep
    And no message was lost

  Scenario: In the background when the rep ends the session
    When the app goes to the background
    And the rep ends the session
    And the app comes back to the foreground
    Then the chat window shows the truth
    And the user can start a new conversation and reach a rep
