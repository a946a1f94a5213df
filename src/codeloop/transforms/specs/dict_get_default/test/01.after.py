score = scores.get(user, 0)
