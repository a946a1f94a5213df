self.assertEquals(len(xs), 2)
self.assertNotEquals(xs[0], xs[1])
