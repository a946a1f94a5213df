log = logging.getLogger(__name__)
log.warning("slow")
log.info("ok")
