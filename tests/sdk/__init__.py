"""Tests of the simulated SDK and app (harness/sdk)."""
