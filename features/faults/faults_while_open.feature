@needs_rep
Feature: A failed send while the conversation is still open
  A refused or failed send does not mean the conversation closed. An app that answers every failed send with a new
  conversation leaves the open one behind: the rep who was helping waits in a conversation nobody writes to any
  more, and the user starts again with someone else.

  Background:
    Given Session-Based Chat is turned on and published for the channel
    And the user is chatting with a rep

  Scenario: The runtime answers 503 to a send while the conversation is open
    When the runtime fails the next 1 "send_message" request with 503
    Then the user's next message reaches a rep in the same conversation
    And no message was lost
