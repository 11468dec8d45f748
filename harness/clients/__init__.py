"""Client adapters: what drives the app a journey judges (a browser page, shell commands, a person), and the
demo web chat the project ships as a real client of the mock runtime."""
