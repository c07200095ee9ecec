// Every docctl command, in the order `docctl --help` lists them.
import type { Command } from "../command.ts";
import { command as up } from "./up.ts";
import { command as worker } from "./worker.ts";
import { command as submit } from "./submit.ts";
import { command as result } from "./result.ts";
import { command as dead } from "./dead.ts";
import { command as manager } from "./manager.ts";
import { command as template } from "./template.ts";
import { command as config } from "./config.ts";
import { command as status } from "./status.ts";
import { command as handlers } from "./handlers.ts";
import { pauseCommand, resumeCommand, drainCommand } from "./control.ts";
import { cancelCommand, jobCommand, jobsCommand } from "./jobs.ts";
import { command as limit } from "./limit.ts";
import { command as schedule } from "./schedule.ts";
import { command as streams } from "./streams.ts";
import { command as completion } from "./completion.ts";
import { eventsCommand } from "./events.ts";
import { promoteCommand, purgeCommand, reprioritizeCommand } from "./queue.ts";
import { updateCommand } from "./jobs-update.ts";

export const commands: Command[] = [up, worker, manager, status, handlers, pauseCommand, resumeCommand, drainCommand, submit, result, jobCommand, jobsCommand, eventsCommand, cancelCommand, promoteCommand, reprioritizeCommand, updateCommand, purgeCommand, schedule, limit, dead, template, streams, config, completion];
