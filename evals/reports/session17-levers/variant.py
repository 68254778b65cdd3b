"""Run `newsbot` with the local answerer reading P passages of F sentences (session 17 experiment)."""
import os, sys
import bot.answer.generate as G
G.LOCAL_PASSAGES = int(os.environ.get('P', G.LOCAL_PASSAGES))
G.LOCAL_FOCUS = int(os.environ.get('F', G.LOCAL_FOCUS))
from bot.cli import main
sys.exit(main(sys.argv[1:]))
