import type { Database } from './database.js'
import { marks } from './in-list.js'

/** A node of the group forest. `path` is its full name and never changes. */
export interface Group {
  id: string
  parentId: string | null
  name: string
  path: string
  created: number
}

const COLUMNS = 'id, parent_id AS "parentId", name, path, created'

/** The group forest. */
export class GroupStore {
  constructor(private readonly db: Database) {}

  get(id: string): Promise<Group | undefined> {
    return this.db.sql.one<Group>(`SELECT ${COLUMNS} FROM groups WHERE id = ?`, [id])
  }

  findByPath(path: string): Promise<Group | undefined> {
    return this.db.sql.one<Group>(`SELECT ${COLUMNS} FROM groups WHERE path = ?`, [path])
  }

  /** The groups at these paths that exist, in no particular order. */
  async findByPaths(paths: readonly string[]): Promise<Group[]> {
    if (paths.length === 0) return []
    return this.db.sql.all<Group>(`SELECT ${COLUMNS} FROM groups WHERE path IN (${marks(paths.length)})`, paths)
  }

  async insert(group: Group): Promise<void> {
    await this.db.sql.run('INSERT INTO groups (id, parent_id, name, path, created) VALUES (?, ?, ?, ?, ?)', [
      group.id,
      group.parentId,
      group.name,
      group.path,
      group.created,
    ])
  }

  /** Groups whose path lies in [from, to), in path order (see `descendantRange`). */
  pathRange(from: string, to: string): Promise<Group[]> {
    return this.db.sql.all<Group>(`SELECT ${COLUMNS} FROM groups WHERE path >= ? AND path < ? ORDER BY path`, [
      from,
      to,
    ])
  }
}
