"""Outbound messages (email, Telegram, WhatsApp, SMS): the outbox, its relay and the channels."""
