"""Parts of the Slack front end that need no Slack library: the HTTP server, the answer queue, the app manifest."""
