"""The Slack front end: the bolt app, its listeners and CLI (app), Block Kit messages (blocks), its
store (state), and the parts that need no Slack library: the HTTP server, the answer queue, the app manifest."""
