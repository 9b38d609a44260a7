"""One module per `fuzz` verb; `fuzzer.cli` assembles them."""
