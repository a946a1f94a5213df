assert type(config) == Config
