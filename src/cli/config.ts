// `rampart config`: check the configuration without starting, or print the settings table.
import { Command } from 'commander';
import { loadConfig, settingsMarkdown } from '../toolkit/index.ts';

export function configCommand(): Command {
  return new Command('config')
    .description('check the configuration from the environment (secrets are never printed)')
    .option('--markdown', 'print the table of every setting, as in the README')
    .action((options: { markdown?: boolean }) => {
      if (options.markdown) {
        console.log(settingsMarkdown());
        return;
      }
      const config = loadConfig();
      console.log(`configuration ok (${config.mode})`);
    });
}
