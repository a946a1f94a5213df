assert isinstance(config, Config)
