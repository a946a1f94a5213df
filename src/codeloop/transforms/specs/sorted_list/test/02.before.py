ranking = list(sorted(results, key=score))
