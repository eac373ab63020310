"""What a process of either package (the engine's server, the bot) needs from its
surroundings: a database engine, migrations that take turns, locks and stop signals.

The bot imports this package and nothing else of the engine's storage, so that it can keep
its own tables in a database of its own when the engine runs elsewhere.
"""
