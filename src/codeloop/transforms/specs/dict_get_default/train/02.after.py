def port(config):
    p = config.get("port", 8080)
    return p
