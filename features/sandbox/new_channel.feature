@org
Feature: Validating Session-Based Chat in a sandbox on a new channel
  Before rollout, the admin turns Session-Based Chat on for a new channel in a sandbox and checks that ending a
  session really closes the conversation. The harness checks it the way it checks a real org: through the public
  API only, against a sandbox-like runtime on loopback (TLS signed by its own CA, no control API), probing only the
  new channel.

  Scenario: A new channel with Session-Based Chat on is validated through the public API
    Article: We recommend testing this feature in a sandbox on a new channel to validate its behavior.
    Given a sandbox-like runtime with a new channel that has Session-Based Chat on
    When the validation probe runs against the new channel through the public API
    Then it reports Session-Based Chat in effect on the new channel
    And the probe saw the conversation listed as closed and a new message refused
    And the probe left no conversation open

  Scenario: A new channel with Session-Based Chat off is reported with the fix to make in Setup
    Article: We recommend testing this feature in a sandbox on a new channel to validate its behavior.
    Given a sandbox-like runtime with a new channel that has Session-Based Chat off
    When the validation probe runs against the new channel through the public API
    Then it reports Session-Based Chat not in effect on the new channel
    And the fix says to select End chat when session ends, save, and publish the deployment
    And the probe left no conversation open
