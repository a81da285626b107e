import { serve } from 'rampart';
import { buildApp } from './app.ts';

await serve(await buildApp());
