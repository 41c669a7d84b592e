"""The interviewer inside Slack: `/interview` opens a thread, replies in it are answers.

A thin front end over `interviewer.engine`: it turns Slack requests into engine calls and
engine events into Block Kit messages. slack_bolt is imported only inside this package, and
only when the bot is built (`interviewer slack`), never at import time of the CLI.

- `config`   tokens and mode (Socket Mode or HTTP), read once at the entry point
- `parse`    the `/interview ...` argument grammar and Slack's message-text quirks
- `render`   engine events -> Block Kit messages (pure functions)
- `store`    Slack-side state: thread -> session, processed event ids, daily channels
- `bot`      the service: what to do for a command, a thread reply, a button
- `app`      the slack_bolt wiring: ack at once, work afterwards; HTTP or Socket Mode
- `daily`    the question-of-the-day scheduler
- `commands` the `interviewer slack` subcommand
"""
