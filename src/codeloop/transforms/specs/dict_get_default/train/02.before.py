def port(config):
    if "port" in config:
        p = config["port"]
    else:
        p = 8080
    return p
