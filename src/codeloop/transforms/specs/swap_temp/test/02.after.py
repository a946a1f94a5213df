first, second = second, first
