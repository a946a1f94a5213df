tick = clock.tick()
