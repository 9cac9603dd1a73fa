"""JSON objects in GitHub's shapes, built from the server's state and the git repositories."""
