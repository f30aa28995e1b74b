// Command vlmq trains vision-language-model agents with offline-to-online
// AFSFT. Run `vlmq help` for the commands.
package main

import (
	"os"

	"vlmq/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
