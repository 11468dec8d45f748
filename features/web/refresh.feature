@web @closing @needs_rep
Feature: Enhanced Web Chat: refresh or reopen after the conversation closed
  Article: The chat window becomes read-only, and users must refresh or reopen the chat to start a new conversation.

  Background:
    Given Session-Based Chat is turned on and published for the channel
    And the user is chatting with a rep

  Scenario: The page is refreshed after the rep ended the session
    When the rep ends the session
    Then the chat window is read-only
    When the user refreshes the page
    Then the app does not keep sending to the closed conversation
    And the user can start a new conversation and reach a rep
