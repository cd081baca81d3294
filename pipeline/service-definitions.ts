// Every service a command may open, registered by importing the module that defines it. Whatever
// opens a session (a stage, `services start|status|stop`, the test setup) imports this first.
import '../src/parsing/corenlp-service.ts';
import '../src/facts/neo4j-service.ts';
