"""Its demo data: one line in the accounts the demo prints."""


def seed_tiny(world) -> None:
    world.accounts.append(("Tiny", "tiny@tiny.test", "learner"))
