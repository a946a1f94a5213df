if not os.path.exists(cache_dir):
    os.makedirs(cache_dir)
save(cache_dir)
