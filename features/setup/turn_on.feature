@org
Feature: Turning on Session-Based Chat
  The setting lives on the channel's Messaging Settings page and applies only once the Embedded Service deployment
  is published again.

  Scenario: Saved but not published, the setting is not in effect
    Article: From Setup, in the Quick Find box, enter Messaging Settings, and then select Messaging Settings.
    Article: To select the channel you want to work with, click the arrow next to the channel name, and then select Edit.
    Article: On the Messaging Settings page, in the Session-Based Chat section, select End chat when session ends.
    Article: Save your changes.
    Given an Enhanced In-App channel with Session-Based Chat off
    When the admin saves "End chat when session ends" without publishing
    And a rep ends a user's session
    Then that user's conversation is still open on the runtime

  Scenario: After publishing, the setting is in effect
    Article: In Embedded Service Deployment Settings, click Publish to apply the changes.
    Given an Enhanced In-App channel with Session-Based Chat off
    When the admin saves "End chat when session ends" and publishes the deployment
    And a rep ends a user's session
    Then that user's conversation is closed on the runtime

  Scenario: It cannot be enabled for verified users
    Article: Session-Based Chat can't be enabled for verified users.
    Given an Enhanced In-App channel with User Verification on
    When the admin saves "End chat when session ends"
    Then the change is refused with a message about User Verification
    And the channel still has Session-Based Chat off

  Scenario: Turning off User Verification first allows it
    Article: To use this feature, turn off User Verification on the Messaging Settings page.
    Given an Enhanced In-App channel with User Verification on
    When the admin turns off User Verification
    And the admin saves "End chat when session ends" and publishes the deployment
    Then the channel has Session-Based Chat on

  Scenario Outline: It applies to Enhanced In-App Chat and Enhanced Web Chat
    Article: This article applies to: Enhanced In-App Chat and Enhanced Web Chat channels
    Given a <channel> channel
    When the admin saves "End chat when session ends" and publishes the deployment
    Then the channel has Session-Based Chat on

    Examples:
      | channel       |
      | EmbeddedInApp |
      | EmbeddedWeb   |

  Scenario Outline: It does not apply to other messaging channels
    Article: This article doesn’t apply to: Enhanced WhatsApp, Standard and Enhanced Facebook Messenger, Standard and Enhanced SMS, Enhanced Apple Messages for Business, Enhanced LINE, and Bring Your Own Channel
    Given a <channel> channel
    When the admin saves "End chat when session ends"
    Then the change is refused with a message naming the channel type

    Examples:
      | channel                  |
      | WhatsApp                 |
      | FacebookMessenger        |
      | SMS                      |
      | AppleMessagesForBusiness |
      | LINE                     |
      | BringYourOwnChannel      |
