@closing @needs_rep
Feature: The app is killed while the conversation is closed, then relaunched
  Article: If your app doesn't account for this, users may be permanently prevented from continuing messaging.

  Background:
    Given Session-Based Chat is turned on and published for the channel
    And the user is chatting with a rep

  Scenario: Relaunch after the rep ended the session
    When the rep ends the session
    And the app is killed and relaunched
    Then the app does not keep sending to the closed conversation
    And the user can start a new conversation and reach a rep
    And no message was lost

  Scenario: Killed before the end arrived, relaunched after
    When the app is killed
    And the rep ends the session
    And the app is launched again
    Then the chat window shows the truth
    And the user can start a new conversation and reach a rep
