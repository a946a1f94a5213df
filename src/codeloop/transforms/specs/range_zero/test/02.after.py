for row in range(height):
    for col in range(width):
        draw(row, col)
