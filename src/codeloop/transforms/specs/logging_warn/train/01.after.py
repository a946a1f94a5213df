import logging
logging.warning("disk almost full")
