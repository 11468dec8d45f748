@org
Feature: Rollout readiness for mobile deployments
  Article: For a mobile deployment, you must use the latest SDK version and ensure your app is updated to handle closed conversations.
  Article: If your app doesn't account for this, users may be permanently prevented from continuing messaging.

  Scenario: The latest SDK with an app that handles closed conversations never blocks a user
    Given the latest bundled SDK of each mobile platform
    And an app that clears its stored conversation id when the conversation closes
    When a rep ends the session under Session-Based Chat
    Then every user can start a new conversation and reach a rep

  Scenario: An old SDK with an app that reuses the conversation id blocks users for good
    Given the oldest bundled SDK of each mobile platform
    And an app that keeps its conversation id forever
    When a rep ends the session under Session-Based Chat
    Then every user is permanently prevented from continuing messaging
