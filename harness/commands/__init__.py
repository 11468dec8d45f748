"""One module per `miaw-harness` sub-command."""
