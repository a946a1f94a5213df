ranking = sorted(results, key=score)
