Feature: The end user closes the conversation
  Closing a conversation is final, with or without Session-Based Chat.

  Scenario Outline: The user closes the conversation from the app
    Given Session-Based Chat is turned <setting> for the channel
    And the user is chatting with a rep
    When the user closes the conversation
    Then the conversation is closed on the runtime
    And the chat window is read-only
    And the user can start a new conversation and reach a rep

    Examples:
      | setting            |
      | on and published   |
      | off                |
