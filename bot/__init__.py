"""The Telegram bot: customers get product recommendations in chat, staff look customers up."""
