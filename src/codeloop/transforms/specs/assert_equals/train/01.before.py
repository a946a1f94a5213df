class T(unittest.TestCase):
    def test_add(self):
        self.assertEquals(add(1, 2), 3)
