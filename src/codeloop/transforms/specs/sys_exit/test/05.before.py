server.exit(1)
