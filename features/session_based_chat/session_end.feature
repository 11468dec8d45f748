@closing
Feature: With Session-Based Chat, any session end closes the conversation
  Session-Based Chat ("End chat when session ends") ends the conversation as soon as its messaging session ends,
  whoever ends it. The app must then show a read-only chat and let the user start a new conversation.

  Background:
    Given Session-Based Chat is turned on and published for the channel
    And the user is chatting with a rep

  @needs_rep
  Scenario: A rep ends the session
    Article: Any messaging session ended by a service rep, bot, or end user also ends the conversation.
    Article: The conversation ends as soon as the chat session ends.
    When the rep ends the session
    Then the conversation is closed on the runtime
    And the chat window is read-only
    And the user can start a new conversation and reach a rep
    And no message was lost

  @needs_rep
  Scenario: A bot ends the session
    Article: Any messaging session ended by a service rep, bot, or end user also ends the conversation.
    When the bot ends the session
    Then the conversation is closed on the runtime
    And the chat window is read-only
    And the user can start a new conversation and reach a rep
    And no message was lost

  @needs_rep
  Scenario: A supervisor ends the session
    When a supervisor ends the session
    Then the conversation is closed on the runtime
    And the chat window is read-only
    And the user can start a new conversation and reach a rep

  Scenario: The end user taps End Chat
    Article: Any messaging session ended by a service rep, bot, or end user also ends the conversation.
    When the user ends the chat
    Then the conversation is closed on the runtime
    And the chat window is read-only
    And the user can start a new conversation and reach a rep
    And no message was lost

  @needs_rep
  Scenario: No open conversation is left behind for reps to manage
    Article: Enable Session-Based Chat to automatically end conversations when a chat session ends to provide a synchronous chat experience and help reps manage active sessions efficiently.
    When the rep ends the session
    Then the user has no open conversation on the runtime
    And the conversation history is still there
