// Renderer entry: builds the API client for this host (Electron or browser) and mounts the app.
import { mount } from 'svelte';
import App from './App.svelte';
import { createApi } from './lib/api';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

mount(App, { target, props: { api: createApi() } });
