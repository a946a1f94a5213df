assertEquals = "a name, not a call"
