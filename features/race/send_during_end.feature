@closing @needs_rep
Feature: The user sends at the moment the rep ends the session
  A message sent as the session ends is either delivered or visibly failed: never silently lost.

  Background:
    Given Session-Based Chat is turned on and published for the channel
    And the user is chatting with a rep

  Scenario: The send and the end cross
    When the user sends a message while the rep ends the session
    Then the message was delivered or shows as failed
    And the user can start a new conversation and reach a rep
    And no message was lost
