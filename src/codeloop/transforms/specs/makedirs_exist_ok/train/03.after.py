os.makedirs(cache_dir, exist_ok=True)
save(cache_dir)
