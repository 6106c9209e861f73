"""Intelligence on stored sightings: hotlists and matching, plate / area / route search. Pure where possible:
query builders and functions that take a SQLAlchemy Session; no files, no sockets."""
